import { UserError } from '../core/errors';

/** An upstream could not be asked, or answered something we refuse: the recipe it concerns is left as it is. */
export class UpstreamError extends UserError {
  constructor(
    message: string,
    /** The HTTP status of an answer refused for its status. */
    readonly status?: number,
  ) {
    super(message);
  }
}
