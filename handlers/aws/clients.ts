/**
 * SDK settings for functions that must answer within their deadline: connection and request
 * timeouts on every call, and few retries, so that one slow endpoint cannot use up the
 * invocation. The SDK reads AWS_ENDPOINT_URL(_<SERVICE>) for emulators.
 */
export const SDK_TIMEOUTS = {
  /** Milliseconds to open a connection. */
  connectionTimeout: 1_000,
  /** Milliseconds to wait for a response once the request is sent. */
  requestTimeout: 3_000,
} as const;

/** The settings every intake client is created with. */
export function timeboxedClientConfig() {
  return {
    retryMode: 'adaptive',
    maxAttempts: 3,
    requestHandler: { ...SDK_TIMEOUTS },
  } as const;
}
