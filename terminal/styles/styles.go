// Package styles holds the register terminal's Lip Gloss styles in one place, built on
// one renderer so that colours follow the terminal's profile: a plain terminal (TERM=dumb
// or NO_COLOR) gets the same layout without colour.
package styles

import "github.com/charmbracelet/lipgloss"

// Styles are the styles every screen draws with.
type Styles struct {
	// Renderer is the renderer the styles were made with; components that build their
	// own styles use it too.
	Renderer *lipgloss.Renderer

	App         lipgloss.Style
	Title       lipgloss.Style
	Tab         lipgloss.Style
	ActiveTab   lipgloss.Style
	Heading     lipgloss.Style
	Label       lipgloss.Style
	Muted       lipgloss.Style
	Selected    lipgloss.Style
	Good        lipgloss.Style
	Warn        lipgloss.Style
	Error       lipgloss.Style
	Money       lipgloss.Style
	Key         lipgloss.Style
	HelpText    lipgloss.Style
	Status      lipgloss.Style
	StatusError lipgloss.Style
	Input       lipgloss.Style
	Button      lipgloss.Style
}

// New builds the styles on renderer r.
func New(r *lipgloss.Renderer) *Styles {
	accent := lipgloss.AdaptiveColor{Light: "#005F87", Dark: "#5FAFD7"}
	muted := lipgloss.AdaptiveColor{Light: "#6C6C6C", Dark: "#9E9E9E"}
	good := lipgloss.AdaptiveColor{Light: "#007700", Dark: "#5FD75F"}
	warn := lipgloss.AdaptiveColor{Light: "#AF5F00", Dark: "#FFAF00"}
	bad := lipgloss.AdaptiveColor{Light: "#AF0000", Dark: "#FF5F5F"}
	s := &Styles{Renderer: r}
	s.App = r.NewStyle()
	s.Title = r.NewStyle().Bold(true).Foreground(accent)
	s.Tab = r.NewStyle().Foreground(muted)
	s.ActiveTab = r.NewStyle().Bold(true).Underline(true).Foreground(accent)
	s.Heading = r.NewStyle().Bold(true)
	s.Label = r.NewStyle().Foreground(muted)
	s.Muted = r.NewStyle().Foreground(muted)
	s.Selected = r.NewStyle().Reverse(true)
	s.Good = r.NewStyle().Foreground(good)
	s.Warn = r.NewStyle().Foreground(warn)
	s.Error = r.NewStyle().Bold(true).Foreground(bad)
	s.Money = r.NewStyle()
	s.Key = r.NewStyle().Bold(true).Foreground(accent)
	s.HelpText = r.NewStyle().Foreground(muted)
	s.Status = r.NewStyle().Foreground(muted)
	s.StatusError = r.NewStyle().Bold(true).Foreground(bad)
	s.Input = r.NewStyle().Underline(true)
	s.Button = r.NewStyle().Bold(true)
	return s
}
