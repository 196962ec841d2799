package catalog

import "strings"

// SuggestAction returns the full name of the action closest to name, for a
// "did you mean" message about an unknown action; false when nothing is
// close. Names compare case-insensitively by edit distance (insertions,
// deletions, substitutions and swaps of adjacent characters). When name has
// a known prefix only that service's actions are candidates; a name without
// a prefix is compared with the action names alone; otherwise the whole
// "prefix:Name" is compared, which catches a misspelt prefix. Among equally
// close names the one nearest in length wins (a typo more often replaces a
// character than adds one: GetCampaignz → GetCampaigns, not GetCampaign), then
// the first in FullName order, so the answer is deterministic.
func (c *Catalog) SuggestAction(name string) (string, bool) {
	if name == "" {
		return "", false
	}
	prefix, rest, hasPrefix := strings.Cut(name, ":")
	if !hasPrefix {
		return closest(c.actions, name, func(a *Action) string { return a.Name })
	}
	if s, ok := c.Service(prefix); ok {
		return closest(s.Actions, rest, func(a *Action) string { return a.Name })
	}
	return closest(c.actions, name, func(a *Action) string { return a.FullName })
}

// closest returns the FullName of the candidate whose key is nearest to
// target, if it is within maxSuggestDistance.
func closest(candidates []*Action, target string, key func(*Action) string) (string, bool) {
	target = toLowerASCII(target)
	limit := maxSuggestDistance(len(target))
	best, bestDist, bestSkew := "", limit+1, 0
	var rows editRows
	for _, a := range candidates {
		k := key(a)
		skew := abs(len(k) - len(target))
		if skew > limit || skew > bestDist {
			continue // the length difference alone is too far
		}
		d := rows.distance(target, toLowerASCII(k))
		if d < bestDist || d == bestDist && skew < bestSkew {
			best, bestDist, bestSkew = a.FullName, d, skew
		}
	}
	return best, best != ""
}

// maxSuggestDistance allows about one edit per three characters (at least
// one, at most five): enough for typical typos (GetCampaignz, DeleteAp,
// SendTextMesage) without suggesting unrelated short names.
func maxSuggestDistance(n int) int {
	return max(1, min(n/3, 5))
}

// editRows keeps the rows of the distance table between calls.
type editRows struct{ prev2, prev, cur []int }

// distance is the optimal string alignment distance between a and b
// (Levenshtein plus swaps of adjacent characters), on bytes: action names are
// ASCII.
func (r *editRows) distance(a, b string) int {
	n := len(b) + 1
	r.prev2, r.prev, r.cur = grow(r.prev2, n), grow(r.prev, n), grow(r.cur, n)
	for j := range n {
		r.prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		r.cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d := min(r.prev[j]+1, r.cur[j-1]+1, r.prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d = min(d, r.prev2[j-2]+1)
			}
			r.cur[j] = d
		}
		r.prev2, r.prev, r.cur = r.prev, r.cur, r.prev2
	}
	return r.prev[len(b)]
}

func grow(s []int, n int) []int {
	if cap(s) < n {
		return make([]int, n)
	}
	return s[:n]
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
