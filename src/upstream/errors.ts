import { UserError } from '../core/errors';

/** An upstream could not be asked, or answered something we refuse: the recipe it concerns is left as it is. */
export class UpstreamError extends UserError {}
