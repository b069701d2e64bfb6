/**
 * The base of every error whose message is the whole story for a user (what
 * failed, where, what to do): the executors print it as it is, without a
 * stack. Anything else that reaches an executor is a bug and is printed with
 * its stack.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
