package httpapi

import (
	"net/http"
	"slices"
)

// routeMux is the API's ServeMux, recording every pattern registered on it,
// so that Routes lists exactly what is served and route-wide tests
// (isolation, fuzzing) cover a new route the moment it is added.
type routeMux struct {
	*http.ServeMux
	patterns []string
}

// Handle registers handler for pattern and records the pattern.
func (m *routeMux) Handle(pattern string, handler http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, handler)
}

// HandleFunc registers handler for pattern and records the pattern.
func (m *routeMux) HandleFunc(pattern string, handler func(http.ResponseWriter, *http.Request)) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.HandleFunc(pattern, handler)
}

// Routes returns the pattern of every route served ("METHOD /path", as
// given to http.ServeMux), sorted. It builds the handler if Handler was not
// called yet.
func (s *Server) Routes() []string {
	if s.patterns == nil {
		s.Handler()
	}
	return slices.Sorted(slices.Values(s.patterns))
}
