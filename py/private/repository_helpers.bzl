"""Helpers of repository rules and module extensions."""

def watched_path(rctx, label):
    """The path of a file; the repository (or extension) runs again when that file changes.

    Args:
      rctx: the repository or module extension context.
      label: the file's label.

    Returns:
      The file's path.
    """
    path = rctx.path(label)

    # Bazel 8 no longer watches files named by label implicitly.
    rctx.watch(path)
    return path
