// Package keymap holds the register terminal's key bindings in one place, so every screen
// names the same key the same way and the help bar shows what really works.
package keymap

import "github.com/charmbracelet/bubbles/key"

// KeyMap is every key binding of the terminal.
type KeyMap struct {
	// Screens.
	Register, Sales, Shopify, Reports, Sell key.Binding
	NextTab, PrevTab                        key.Binding
	Quit                                    key.Binding

	// Moving around.
	Up, Down, PageUp, PageDown key.Binding
	Select, Back               key.Binding
	Refresh                    key.Binding

	// Forms.
	Submit, NextField, PrevField, Cancel key.Binding
	Confirm, Deny                        key.Binding

	// Register screen.
	Open, Close key.Binding

	// Sales screen.
	Search, Awaiting, FromShopify, Today, Pay key.Binding
	Void                                      key.Binding
	NextPage, PrevPage                        key.Binding
	// Pages only shows NextPage and PrevPage as one entry of the help bar.
	Pages key.Binding

	// Shopify screen.
	GetNew, GetAll, Retry key.Binding

	// Reports screen.
	Session, Nightly, Generate, Current key.Binding
}

// Default returns the terminal's key bindings. Letters act only while no field has the
// focus; the function keys switch screens from anywhere.
func Default() *KeyMap {
	b := func(help string, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return &KeyMap{
		Register: b("F1", "register", "f1", "1"),
		Sales:    b("F2", "sales", "f2", "2"),
		Shopify:  b("F3", "shopify", "f3", "3"),
		Reports:  b("F4", "reports", "f4", "4"),
		Sell:     b("F5", "sell", "f5", "5"),
		NextTab:  b("tab", "next screen", "tab"),
		PrevTab:  b("shift+tab", "previous screen", "shift+tab"),
		Quit:     b("q", "quit", "q", "ctrl+c"),

		Up:       b("↑", "up", "up", "k"),
		Down:     b("↓", "down", "down", "j"),
		PageUp:   b("pgup", "page up", "pgup"),
		PageDown: b("pgdn", "page down", "pgdown", " "),
		Select:   b("enter", "show", "enter"),
		Back:     b("esc", "back", "esc"),
		Refresh:  b("r", "refresh", "r", "ctrl+r"),

		Submit:    b("enter", "next/confirm", "enter"),
		NextField: b("tab/↓", "next field", "tab", "down"),
		PrevField: b("shift+tab/↑", "previous field", "shift+tab", "up"),
		Cancel:    b("esc", "cancel", "esc"),
		Confirm:   b("y", "yes", "y", "Y"),
		Deny:      b("n", "no", "n", "N", "esc"),

		Open:  b("o", "open register", "o"),
		Close: b("c", "close register", "c"),

		Search:      b("/", "search", "/"),
		Awaiting:    b("a", "awaiting", "a"),
		FromShopify: b("s", "Shopify", "s"),
		Today:       b("t", "today", "t"),
		Pay:         b("p", "apply payment", "p"),
		Void:        b("v", "void payment", "v"),
		NextPage:    b("→", "next page", "right", "pgdown", "l"),
		PrevPage:    b("←", "previous page", "left", "pgup", "h"),
		Pages:       b("←/→", "page", "left", "right"),

		GetNew: b("n", "get new", "n"),
		GetAll: b("a", "get all", "a"),
		Retry:  b("f", "retry failed", "f"),

		Session:  b("g", "session #", "g"),
		Nightly:  b("n", "nightly", "n"),
		Generate: b("G", "generate nightly", "G"),
		Current:  b("x", "X-report", "x"),
	}
}
