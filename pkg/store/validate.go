package store

import "fmt"

// Validate reports a change set Apply must reject, wrapping
// ErrEmptyChangeSet (and ErrInvalidChangeSet) when it has no change and
// ErrInvalidChangeSet when a change has an invalid key (also wrapping
// ErrInvalidKey), an unknown op, a put without a value, a delete with a
// value, or a key an earlier change already changed. Implementations call
// it before writing anything, so an invalid change set writes nothing.
func (cs ChangeSet) Validate() error {
	if len(cs.Changes) == 0 {
		return fmt.Errorf("%w: %w", ErrInvalidChangeSet, ErrEmptyChangeSet)
	}
	seen := make(map[Key]int, len(cs.Changes))
	for i, c := range cs.Changes {
		if err := c.Key.Validate(); err != nil {
			return fmt.Errorf("%w: change %d: %w", ErrInvalidChangeSet, i, err)
		}
		switch c.Op {
		case OpPut:
			if len(c.Value) == 0 {
				return fmt.Errorf("%w: change %d: put %s without a value", ErrInvalidChangeSet, i, c.Key)
			}
		case OpDelete:
			if len(c.Value) != 0 {
				return fmt.Errorf("%w: change %d: delete %s with a value", ErrInvalidChangeSet, i, c.Key)
			}
		default:
			return fmt.Errorf("%w: change %d: unknown op %d for %s", ErrInvalidChangeSet, i, c.Op, c.Key)
		}
		if j, ok := seen[c.Key]; ok {
			return fmt.Errorf("%w: change %d: %s already changed by change %d", ErrInvalidChangeSet, i, c.Key, j)
		}
		seen[c.Key] = i
	}
	return nil
}
