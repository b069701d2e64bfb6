/**
 * The base of every error whose message is the whole story for a user (what
 * failed, where, what to do): the executors print it as it is, without a
 * stack. Anything else that reaches an executor is a bug and is printed with
 * its stack. Each layer throws its own subclass where the problem starts;
 * nothing catches one error to re-throw its message as another.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * An option's value is refused. The message names the option and the value
 * and says what the option takes; `option` is the option's name, for callers
 * and tests that need it without reading the message.
 */
export class OptionError extends UserError {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(message);
  }
}
