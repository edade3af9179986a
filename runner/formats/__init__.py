"""Foreign formats, one sub-package or module each: Postman, curl, HAR, OpenAPI, documentation
pages. Pure conversions: data in, data (and notes) out."""
