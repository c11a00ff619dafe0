// What the signed-in caller may do, for hiding what they may not: a page asks `useCan('devices.write')` and
// leaves the control out when it is false. The server refuses the same actions with 403 whatever the page
// shows; this only spares people buttons that cannot work. The role table is the server's (roles.ts).
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { can, type Action, type Role } from './domain.ts';

/** The caller's role; viewer until the session says otherwise, so nothing writable flashes up. */
export const RoleContext = createContext<Role>('viewer');

export const useRole = (): Role => useContext(RoleContext);

/** Whether the signed-in caller may take this action. */
export const useCan = (action: Action): boolean => can(useContext(RoleContext), action);
