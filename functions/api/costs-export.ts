import { costsExport } from '../../lib/api/handlers/costs';
import { httpHandler } from '../_runtime';

export const handler = httpHandler(costsExport);
