// Loaded before every test file: matchers, and an environment that cannot reach AWS by accident.
import 'aws-sdk-client-mock-jest';

process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID = 'testing';
process.env.AWS_SECRET_ACCESS_KEY = 'testing';
delete process.env.AWS_SESSION_TOKEN;
delete process.env.AWS_PROFILE;
process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.CDK_DISABLE_CLI_TELEMETRY = 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
// The SDK warns once per process about Node 20; the Lambda runtime is newer, so it is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
