package daemon

import (
	"net/http"
	"strings"

	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/register"
)

// Putting set-up mistakes right: renaming and archiving outlets and registers (a
// manager's routes).

func (a *api) renameOutlet(c *call) (reply, error) {
	name, err := c.newName(false)
	if err != nil {
		return reply{}, err
	}
	st := inventory.Store{Clock: a.clock}
	o, err := st.OutletByName(c.ctx, a.db, c.r.PathValue("outlet"))
	if err != nil {
		return reply{}, err
	}
	if o, err = st.RenameOutlet(c.ctx, a.db, o.ID, name); err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusOK, outletView(o)), nil
}

func (a *api) archiveOutlet(c *call) (reply, error) {
	st := inventory.Store{Clock: a.clock}
	o, err := st.OutletByName(c.ctx, a.db, c.r.PathValue("outlet"))
	if err != nil {
		return reply{}, err
	}
	if o, err = st.ArchiveOutlet(c.ctx, a.db, o.ID); err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusOK, outletView(o)), nil
}

func (a *api) renameRegister(c *call) (reply, error) {
	name, err := c.newName(true)
	if err != nil {
		return reply{}, err
	}
	r, err := a.findRegister(c.ctx, c.r.PathValue("register"))
	if err != nil {
		return reply{}, err
	}
	if r, err = (register.Store{Clock: a.clock}).Rename(c.ctx, a.db, r.ID, name); err != nil {
		return reply{}, err
	}
	v, err := a.registerView(c.ctx, &locations{a: a, ctx: c.ctx}, r)
	if err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusOK, v), nil
}

func (a *api) archiveRegister(c *call) (reply, error) {
	r, err := a.findRegister(c.ctx, c.r.PathValue("register"))
	if err != nil {
		return reply{}, err
	}
	if r, err = (register.Store{Clock: a.clock}).Archive(c.ctx, a.db, r.ID); err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusOK, client.Register{ID: r.ID, Name: r.Name, Outlet: r.OutletName, Archived: true}), nil
}

// newName reads a rename's body: a name that is not blank (and, for a register, has no '/').
func (c *call) newName(isRegister bool) (string, error) {
	var req client.RenameRequest
	if err := c.decode(&req); err != nil {
		return "", err
	}
	name := strings.TrimSpace(req.Name)
	switch {
	case name == "":
		return "", badRequest("name: give the new name")
	case isRegister && strings.Contains(name, "/"):
		return "", badRequest("name %q: a register name cannot contain '/'", name)
	}
	return name, nil
}

func outletView(o inventory.Outlet) client.Outlet {
	return client.Outlet{ID: o.ID, Name: o.Name, Timezone: o.Timezone, Currency: o.Currency, Archived: o.Archived()}
}
