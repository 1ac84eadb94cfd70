package match

import (
	"math"
	"slices"
)

// Occupational closeness by the level of the smallest STYRK-08 group two
// unit groups share (SharedGroup): 1 for the same unit group, 0.75 the same
// minor group, 0.5 the same sub-major group, 0.25 the same major group.
func occupationScore(level int) float64 { return float64(level) / 4 }

// Language scores: the mentor speaks the newcomer's first language, or only
// another language of the newcomer's.
const (
	firstLanguage = 1.0
	otherLanguage = 0.5
)

// scorer computes the quality of pairs. People's interests and languages
// are numbered once so that a pair costs a merge of short sorted lists.
type scorer struct {
	o Options
	// weight is each interest's weight: 1, or with Options.Rarity
	// ln(1 + P/f), P the number of people, f those listing the interest.
	weight    []float64
	interests map[string]int32
	languages map[string]int32
}

// coded is a person's interests (sorted numbers), their total weight, and
// languages (numbers, in the person's order).
type coded struct {
	interests []int32
	total     float64
	languages []int32
	occ       string
}

func newScorer(o Options, people []Person) *scorer {
	s := &scorer{o: o, interests: map[string]int32{}, languages: map[string]int32{}}
	var count []int
	for _, p := range people {
		for _, x := range p.Interests {
			k, ok := s.interests[x]
			if !ok {
				k = int32(len(count))
				s.interests[x] = k
				count = append(count, 0)
			}
			count[k]++
		}
		for _, l := range p.Languages {
			if _, ok := s.languages[l]; !ok {
				s.languages[l] = int32(len(s.languages))
			}
		}
	}
	s.weight = make([]float64, len(count))
	for k, f := range count {
		s.weight[k] = 1
		if o.Rarity {
			s.weight[k] = math.Log(1 + float64(len(people))/float64(f))
		}
	}
	return s
}

func (s *scorer) code(p Person) coded {
	c := coded{occ: p.Occupation}
	for _, x := range p.Interests {
		k := s.interests[x]
		c.interests = append(c.interests, k)
		c.total += s.weight[k]
	}
	slices.Sort(c.interests)
	for _, l := range p.Languages {
		c.languages = append(c.languages, s.languages[l])
	}
	return c
}

// Parts are what a pair's quality is made of: three parts each in [0, 1],
// and the travel minutes between the two municipalities (0 within one).
type Parts struct {
	Interests, Occupation, Language float64
	Minutes                         float64
}

// parts of newcomer n and mentor m:
//
//	Interests  = Σ_{x ∈ A∩B} r(x) / Σ_{x ∈ A∪B} r(x)
//
// with A, B the two interest lists and r(x) = 1 (Jaccard's index) or, with
// Options.Rarity, r(x) = ln(1 + P/f(x)), P the number of newcomers and
// mentors and f(x) how many of them list x (an inverse document frequency:
// sharing a rare interest says more than sharing a common one);
//
//	Occupation = level/4, level the STYRK-08 level the two share (SharedGroup);
//	Language   = 1 if the mentor speaks the newcomer's first language,
//	             0.5 if they share another, 0 if none.
func (s *scorer) parts(n, m *coded) Parts {
	var shared float64
	a, b := n.interests, m.interests
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			shared += s.weight[a[i]]
			i++
			j++
		}
	}
	_, level := SharedGroup(n.occ, m.occ)
	p := Parts{Interests: shared / (n.total + m.total - shared), Occupation: occupationScore(level)}
	for k, l := range n.languages {
		if slices.Contains(m.languages, l) {
			p.Language = otherLanguage
			if k == 0 {
				p.Language = firstLanguage
			}
			break
		}
	}
	return p
}

// Quality is the pair's match quality in [0, 1], the weighted mean of its
// parts with the weights of match.yaml (w_I, w_O, w_L), lowered for travel
// with a travel limit T = MaxMinutes and discount d = TravelDiscount:
//
//	Q = (w_I·Interests + w_O·Occupation + w_L·Language) / (w_I + w_O + w_L)
//	    · (1 − d·Minutes/T).
//
// The factor is 1 within a municipality and 1 − d at the limit; a
// multiplier rather than a fourth weighted part, so that a travel limit
// leaves the quality of pairs within a municipality as it was.
func (o Options) Quality(p Parts) float64 {
	q := (o.Interests*p.Interests + o.Occupation*p.Occupation + o.Language*p.Language) /
		(o.Interests + o.Occupation + o.Language)
	if o.MaxMinutes > 0 && p.Minutes > 0 {
		q *= 1 - o.TravelDiscount*min(p.Minutes/o.MaxMinutes, 1)
	}
	return q
}
