package soak

import "testing"

func soakSigkill(t *testing.T) (string, bool)         { t.Skip("not written yet"); return "", false }
func soakInstances(t *testing.T) (string, bool)       { t.Skip("not written yet"); return "", false }
func soakPostgresRestart(t *testing.T) (string, bool) { t.Skip("not written yet"); return "", false }
