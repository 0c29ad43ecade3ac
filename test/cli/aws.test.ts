/** The clients the live commands use. */
import { createAwsClients } from '../../cli/aws';

describe('createAwsClients', () => {
  it("keeps stderr to one line: the SDK's multi-line Node version notice is switched off", () => {
    // GIVEN nobody chose (a fresh module registry: the SDK has not warned in this file yet)
    const before = process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    delete process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      // WHEN a client is made
      createAwsClients({ region: 'eu-west-1' }).ec2().destroy();
      // THEN the SDK's documented switch is on and nothing was printed
      expect(process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED).toBe('true');
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
      if (before === undefined) delete process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
      else process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = before;
    }
  });
});
