import { connectionsGet } from '../../lib/api/handlers/connections';
import { httpHandler } from '../_runtime';

export const handler = httpHandler(connectionsGet);
