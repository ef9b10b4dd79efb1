import { alertsList } from '../../lib/api/handlers/alerts';
import { httpHandler } from '../_runtime';

export const handler = httpHandler(alertsList);
