import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, NextbestError, type ErrorCode } from '../core/errors.js';

/** Sends the one error shape, with the status from the error registry. */
export function sendError(reply: FastifyReply, code: ErrorCode, message: string, details?: Record<string, unknown>): FastifyReply {
  return reply.status(ERROR_CODES[code].status).send({ error: { code, message, ...(details ? { details } : {}), requestId: String(reply.request.id) } });
}

/** Maps Fastify's own errors (parser, limits, media type) and ours to the registry: bad input never becomes a 500. */
export function errorHandler(error: FastifyError | NextbestError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof NextbestError) return sendError(reply, error.code, error.message, error.details);
  const fe = error as FastifyError;
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return sendError(reply, 'UNSUPPORTED_MEDIA_TYPE', `Content-Type ${JSON.stringify(request.headers['content-type'] ?? '')} is not supported; send application/json`);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return sendError(reply, 'PAYLOAD_TOO_LARGE', fe.message);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return sendError(reply, 'MALFORMED_JSON', 'the body is empty; send a JSON document');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_TYPE':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return sendError(reply, 'BAD_REQUEST', fe.message);
    default:
      break;
  }
  if (error instanceof SyntaxError || fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return sendError(reply, 'MALFORMED_JSON', `malformed JSON: ${error.message}`);
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return sendError(reply, fe.statusCode === 413 ? 'PAYLOAD_TOO_LARGE' : fe.statusCode === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'BAD_REQUEST', fe.message);
  }
  request.log.error({ err: error }, 'unhandled error');
  return sendError(reply, 'INTERNAL', 'internal error; quote the request id when reporting it');
}
