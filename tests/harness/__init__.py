"""Code the tests share: helpers, constants and the services they drive."""
