import { docs } from '../../lib/api/handlers/docs';
import { httpHandler } from '../_runtime';

export const handler = httpHandler(docs);
