"""bzlmod extension of crosspex (Bazel 7.1+): `pip_wheels` repositories.

```starlark
crosspex = use_extension("@crosspex//py:extensions.bzl", "crosspex")
crosspex.pip_wheels(
    name = "wheels",
    lock = "//:requirements.txt",
    platforms = ["linux_x86_64", "macos_arm64", "windows_x86_64"],
)
use_repo(crosspex, "wheels")
```
"""

load("//py/private:extensions.bzl", _crosspex = "crosspex")

crosspex = _crosspex
