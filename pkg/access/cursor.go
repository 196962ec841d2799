package access

import (
	"fmt"

	"github.com/pdp-dev/pdp/pkg/engine"
	"github.com/pdp-dev/pdp/pkg/entity"
)

// MaxCursor bounds Page.After: a cursor is one ARN, and ARNs are at most
// 2,048 characters.
//
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_Policy.html
const MaxCursor = 2048

// cursorError refuses a Page.After that is not a cursor of the listing:
// the entry the previous page ended with, which the caller passes back
// unchanged.
func cursorError(after, want, why string) error {
	msg := fmt.Sprintf("malformed page token %q: want %s, the next page token of the previous page unchanged", after, want)
	if why != "" {
		msg += " (" + why + ")"
	}
	return &InputError{Field: "page_token", Msg: msg}
}

// checkCursorSize refuses an oversized Page.After without repeating it.
func checkCursorSize(after string) error {
	if len(after) > MaxCursor {
		return &InputError{Field: "page_token", Msg: fmt.Sprintf("page token of %d bytes is over the limit of %d: "+
			"pass the next page token of the previous page unchanged", len(after), MaxCursor)}
	}
	return nil
}

// checkPrincipalCursor checks a WhoCan cursor: "" or the ARN of a user or
// role (the last principal of the previous page; it need not be in this
// model, which may have changed between pages).
func checkPrincipalCursor(after string) error {
	if after == "" {
		return nil
	}
	if err := checkCursorSize(after); err != nil {
		return err
	}
	if err := entity.CheckPrincipalARN(after); err != nil {
		return cursorError(after, "the ARN of a user or role", err.Error())
	}
	return nil
}

// checkResourceCursor checks a WhichResources cursor: "" or the ARN of a
// resource (the last resource of the previous page).
func checkResourceCursor(after string) error {
	if after == "" {
		return nil
	}
	if err := checkCursorSize(after); err != nil {
		return err
	}
	if !engine.IsARN(after) || !printable(after) {
		return cursorError(after, "the ARN of a resource", "")
	}
	return nil
}

// printable reports whether s holds no control characters.
func printable(s string) bool {
	for _, c := range s {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}
