package engine

import (
	"fmt"
	"net/netip"

	"github.com/pdp-dev/pdp/pkg/catalog"
)

// CheckContextValue reports whether value is a well-formed request value for
// a condition key of type t (its element type, for ArrayOf... types):
// "true" or "false" for Bool, a number for Numeric, an ISO 8601 date or
// epoch seconds for Date, an IPv4 or IPv6 address for IPAddress, an ARN for
// ARN. String and Binary take anything. Servers use it to reject a request
// context that would silently never match.
func CheckContextValue(t catalog.KeyType, value string) error {
	switch t.Base() {
	case catalog.Bool:
		if _, ok := parseBool(value); !ok {
			return fmt.Errorf("want \"true\" or \"false\", not %q", value)
		}
	case catalog.Numeric:
		if _, ok := parseNumber(value); !ok {
			return fmt.Errorf("want a number, not %q", value)
		}
	case catalog.Date:
		if _, ok := parseDate(value); !ok {
			return fmt.Errorf("want an ISO 8601 date or epoch seconds, not %q", value)
		}
	case catalog.IPAddress:
		if _, err := netip.ParseAddr(value); err != nil {
			return fmt.Errorf("want an IPv4 or IPv6 address, not %q", value)
		}
	case catalog.ARN:
		if _, ok := arnFields(value); !ok {
			return fmt.Errorf("want an ARN, not %q", value)
		}
	}
	return nil
}
