import type { Request, Response } from 'express';
import { renderPng } from '../images/render-png.js';
import type { ImageCache } from '../images/image-cache.js';
import { mix32 } from '../rng/rng.js';
import type { Store } from '../store/store.js';
import { errors } from './errors.js';
import { sendError } from './http.js';
import { secretsEqual } from '../secrets.js';

/**
 * `GET /files/{task_id}/{token}/{n}.png`: the images of a completed task, as a CDN would serve
 * them (no auth: the URL is the secret, its token unguessable). A wrong token is as unknown as a
 * missing task. Rendered once from the task's seed, then cached.
 */
export function imageRoute(store: Store, cache: ImageCache) {
  return async (req: Request, res: Response): Promise<void> => {
    try {
      const id = String(req.params.task_id);
      const token = String(req.params.token);
      const m = /^(\d{1,2})\.png$/.exec(String(req.params.file));
      const task = m && id.length <= 128 && token.length <= 64 ? await store.getTask(id) : undefined;
      const index = m ? Number(m[1]) : -1;
      const known = task !== undefined && typeof task.imageToken === 'string' && secretsEqual(token, task.imageToken);
      if (!task || !known || task.status !== 'COMPLETED' || index >= task.numImages)
        throw errors.notFound(`Image not found: ${req.path.slice(0, 200)}`);
      const png = cache.get(`${id}/${index}`, () =>
        renderPng({ width: task.width, height: task.height, seed: mix32(task.imageSeed, index) }),
      );
      res.writeHead(200, {
        'Content-Type': 'image/png',
        'Content-Length': png.length,
        'Cache-Control': 'public, max-age=31536000, immutable',
      });
      res.end(png);
    } catch (err) {
      sendError(req, res, err);
    }
  };
}
