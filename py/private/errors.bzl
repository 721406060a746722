"""The one form of every error crosspex's Starlark raises: what is wrong, then the fix."""

def error_message(subject, problem, fix):
    """`crosspex: SUBJECT: PROBLEM` and a `  fix: FIX` line, as the assembler's errors read.

    Args:
      subject: the label, file or setting at fault.
      problem: what is wrong with it.
      fix: what to change.

    Returns:
      The message.
    """
    return "crosspex: %s: %s\n  fix: %s" % (subject, problem, fix)

def crosspex_fail(subject, problem, fix):
    """Fails the build or fetch with `error_message(subject, problem, fix)`.

    Args:
      subject: the label, file or setting at fault.
      problem: what is wrong with it.
      fix: what to change.
    """
    fail(error_message(subject, problem, fix))
