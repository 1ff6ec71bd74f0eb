/**
 * A rule of the domain said no (not found, conflict, forbidden, bad request): thrown by
 * services with a message for the person, mapped to its 4xx once — in the tRPC middleware
 * (server/api/trpc.ts) and in route handlers (`apiHandler`, server/http/api.ts).
 */
export type DomainErrorCode = "NOT_FOUND" | "CONFLICT" | "FORBIDDEN" | "BAD_REQUEST";

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const DOMAIN_ERROR_STATUS: Record<DomainErrorCode, number> = {
  BAD_REQUEST: 400,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
};

/**
 * The work was stopped before it finished: the caller went away, or a newer request of the
 * same stream replaced it (a builder's previews). Not a failure: tRPC answers
 * CLIENT_CLOSED_REQUEST (499), nobody is told.
 */
export class Cancelled extends Error {
  constructor(message = "The request was cancelled.") {
    super(message);
  }
}
