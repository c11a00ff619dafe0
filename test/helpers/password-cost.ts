// Every test file hashes passwords at scrypt cost 2^12 instead of the recommended 2^17: a sign-in then
// costs milliseconds of CPU instead of over half a second, which the role walks and browser tests pay
// dozens of times. The `sovi` commands the tests run get the same through SOVI_PASSWORD_COST (cliEnv).
// test/users/password.test.ts checks the recommended parameters themselves.
import { setPasswordCost } from '../../src/users/password.ts';

export const TEST_PASSWORD_COST = 12;
setPasswordCost(TEST_PASSWORD_COST);
