import { UserError } from '../../core/errors';

/** A recipe-build failure a user must fix (a missing recipe or file, a failed build): reported as it is, without a stack. */
export class RecipeBuildError extends UserError {}
