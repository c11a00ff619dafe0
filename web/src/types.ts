// The API's shapes as the dashboard reads them, taken from api-types.generated.ts: the OpenAPI document of
// the server's zod schemas (src/http/routes/), so a server change that breaks a page fails `tsc -p web`.
// Times arrive as ISO-8601 strings. Nothing here restates a field: change the server, then run
// `npm run api:types`.
import type { paths } from './api-types.generated.ts';

type Prefix = '/api/v1';
export type Method = 'get' | 'post' | 'patch' | 'delete';

/** The API's paths below /api/v1, as the OpenAPI document names them: '/devices/{ref}'. */
export type ApiPath = keyof paths extends infer K ? (K extends `${Prefix}${infer P}` ? P : never) : never;

/** The operation a path answers a method with (undefined when it answers none). */
export type Operation<P extends ApiPath, M extends Method> = paths[`${Prefix}${P}`][M];

/** The paths that answer a method. */
export type PathOf<M extends Method> = {
  [P in ApiPath]: Operation<P, M> extends { responses: unknown } ? P : never;
}[ApiPath];

type JsonOf<R> = R extends { content: { 'application/json': infer B } } ? B : never;

/** The JSON body of a success answer (200, 201 or 202) to a method on a path. */
export type Ok<P extends ApiPath, M extends Method = 'get'> =
  Operation<P, M> extends { responses: infer R } ? JsonOf<R[Extract<keyof R, 200 | 201 | 202>]> : never;

/** The JSON request body a method on a path takes. */
export type Body<P extends ApiPath, M extends Method> =
  Operation<P, M> extends { requestBody?: infer R } ? JsonOf<NonNullable<R>> : never;

/** The query parameters' names a method on a path accepts (the server refuses others). */
export type QueryName<P extends ApiPath, M extends Method> =
  Operation<P, M> extends { parameters: { query?: infer Q } }
    ? [NonNullable<Q>] extends [never]
      ? never
      : keyof NonNullable<Q> & string
    : never;

/** The names of a path's parameters: 'ref' for '/devices/{ref}'. */
export type PathParam<P extends string> = P extends `${string}{${infer Name}}${infer Rest}`
  ? Name | PathParam<Rest>
  : never;

export type Session = Ok<'/session'>;
export type Settings = Ok<'/settings'>;
export type Overview = Ok<'/overview'>;

export type Niche = Ok<'/niches'>['niches'][number];
export type Device = Ok<'/devices'>['devices'][number];
export type DeviceDetails = Ok<'/devices/{ref}'>;
export type Account = Ok<'/accounts'>['accounts'][number];
export type AccountDetails = Ok<'/accounts/{ref}'>;
export type SystemEvent = Ok<'/events'>['events'][number];
export type AuditEntry = Ok<'/audit'>['entries'][number];

export type WarmingSession = Ok<'/warming/sessions'>['sessions'][number];
export type WarmingStatus = Ok<'/warming/status'>;
export type WarmingPolicy = Ok<'/warming/policy'>;

export type Distribution = Ok<'/distributions'>['distributions'][number];
export type Connection = Ok<'/connections'>['connections'][number];
export type DistributionStatus = Distribution['status'];
export type Content = Ok<'/content'>['content'][number];
export type ContentDetails = Ok<'/content/{id}'>;
export type Failure = NonNullable<ContentDetails['failure']>;
export type Hook = Ok<'/hooks'>['hooks'][number];
export type LeaderboardEntry = Ok<'/hooks/leaderboard'>['hooks'][number];
export type Trend = Ok<'/trends'>['trends'][number];

export type AccountHour = Ok<'/metrics/accounts/{ref}/hourly'>['hours'][number];
export type NicheDay = Ok<'/metrics/niches/{ref}/daily'>['days'][number];
export type TopContent = Ok<'/metrics/top'>['content'][number];
