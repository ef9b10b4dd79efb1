import { keysCreate } from '../../lib/api/handlers/keys';
import { httpHandler } from '../_runtime';

export const handler = httpHandler(keysCreate);
