package decisionlog

import "github.com/pdp-dev/pdp/internal/rotate"

// RotatingFile is the sink that rotates the decision log by size. It is
// rotate.File, which the admin audit log shares.
type RotatingFile = rotate.File
