import { openApiJson } from '../../lib/api/handlers/docs';
import { httpHandler } from '../_runtime';

export const handler = httpHandler(openApiJson);
