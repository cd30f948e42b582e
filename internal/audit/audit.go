// Package audit holds the who/when part that most API outputs carry.
package audit

import (
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// View is the createdBy/createdAt/modifiedBy/modifiedAt part of an output.
type View struct {
	CreatedBy  string    `json:"createdBy"`
	CreatedAt  time.Time `json:"createdAt"`
	ModifiedBy string    `json:"modifiedBy"`
	ModifiedAt time.Time `json:"modifiedAt"`
}

// Of returns the view of a row's audit columns, in UTC.
func Of(a store.Audit) View {
	return View{CreatedBy: a.CreatedBy, CreatedAt: a.CreatedAt.UTC(), ModifiedBy: a.ModifiedBy, ModifiedAt: a.ModifiedAt.UTC()}
}
