/**
 * Server-side limits of every application session, in one place: the pool sends them as startup
 * parameters on a direct connection, and the migration function writes them onto the application
 * roles (ALTER ROLE … SET) for connections through RDS Proxy, which refuses such startup
 * parameters and would pin a session on a SET (docs/CONNECTIONS.md).
 */

/** `statement_timeout`: below the API function's 10 s timeout, so the request still gets its 503. */
export const STATEMENT_TIMEOUT_MS = 4000;

/** `lock_timeout`: a row lock held elsewhere fails fast (503) instead of waiting. */
export const LOCK_TIMEOUT_MS = 2000;
