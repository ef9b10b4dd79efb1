import { z } from 'zod';
import type { RouteSpec } from '../../http/types';
import { OpenApiDocSchema } from '../responses';

/** The API's own description: public, deployed with the stack and served by `npm start`. */
export const DOCS_ROUTES: readonly RouteSpec[] = [
  {
    method: 'GET',
    path: '/openapi.json',
    name: 'openapi',
    auth: 'none',
    summary: 'The OpenAPI 3.1 document of every route',
    tag: 'docs',
    responses: { 200: OpenApiDocSchema },
  },
  {
    method: 'GET',
    path: '/docs',
    name: 'docs',
    auth: 'none',
    summary: 'The API docs page (swagger-ui over /openapi.json)',
    tag: 'docs',
    produces: ['text/html'],
    responses: { 200: z.string() },
  },
];
