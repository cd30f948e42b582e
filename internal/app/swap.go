package app

import (
	"net/http"
	"sync/atomic"
)

// swapHandler lets the server start listening before the app is built and
// switch to the real handler once it is.
type swapHandler struct {
	h atomic.Value
}

func (s *swapHandler) set(h http.Handler) { s.h.Store(handlerBox{h}) }

type handlerBox struct{ http.Handler }

func (s *swapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.h.Load().(handlerBox).ServeHTTP(w, r)
}
