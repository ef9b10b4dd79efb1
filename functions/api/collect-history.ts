import { collectHistory } from '../../lib/api/handlers/collect';
import { httpHandler } from '../_runtime';

export const handler = httpHandler(collectHistory);
