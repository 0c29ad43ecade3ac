/** One structured JSON logger for every handler (Powertools), configured from the environment. */
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'first-responder',
});
