import { GATEWAY_ERROR_STATUS, type GatewayErrorBody, type GatewayErrorType } from "../../../shared/contracts/gateway.ts";
import { errorMessage } from "../../../shared/util/errors.ts";

/** A failure with its `/invoke` error type; anything else thrown becomes `internal_error`. */
export class GatewayError extends Error {
  readonly type: GatewayErrorType;
  readonly retryable: boolean;
  /** The provider's `retry-after`, in milliseconds from when the reply arrived. */
  readonly retryAfterMs: number | undefined;

  constructor(type: GatewayErrorType, message: string, options: { retryable?: boolean; retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "GatewayError";
    this.type = type;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }

  get status(): number {
    return GATEWAY_ERROR_STATUS[this.type];
  }

  toBody(scrub: (text: string) => string = (t) => t): GatewayErrorBody {
    return { error: this.type, message: scrub(this.message), retryable: this.retryable };
  }
}

export function asGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError("internal_error", errorMessage(err), { cause: err });
}

/** The caller's request ended (its step was cancelled): the call in flight is abandoned and none is retried. */
export function callerGone(): GatewayError {
  return new GatewayError("provider_error", "the caller went away: the request was aborted", { retryable: false });
}
