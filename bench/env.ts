/**
 * Imported first by main.ts, before any handler module: the handlers read their environment
 * (log level, region) when they load. The bench never reaches AWS: EC2 calls go to moto.
 */
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID = 'testing';
process.env.AWS_SECRET_ACCESS_KEY = 'testing';
delete process.env.AWS_SESSION_TOKEN;
delete process.env.AWS_PROFILE;
process.env.AWS_EC2_METADATA_DISABLED = 'true';
// The handler logs an audit line per change; the bench prints only its table.
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** What a cold-load child process needs: the same quiet, offline environment, nothing of tsx. */
export function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_OPTIONS;
  for (const key of Object.keys(env)) if (key.startsWith('TSX')) delete env[key];
  return env;
}
