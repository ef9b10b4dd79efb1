import { connectionsTest } from '../../lib/api/handlers/connections';
import { httpHandler } from '../_runtime';

export const handler = httpHandler(connectionsTest);
