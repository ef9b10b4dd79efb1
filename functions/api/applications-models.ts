import { applicationsModels } from '../../lib/api/handlers/applications';
import { httpHandler } from '../_runtime';

export const handler = httpHandler(applicationsModels);
