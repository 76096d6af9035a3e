package bus

// Sweep runs one expiry pass now, as the sweeper does every SweepInterval.
func (m *Memory) Sweep() { m.sweep() }

// Size reports how many hubs and expiring memberships m holds.
func (m *Memory) Size() (hubs, expiring int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.hubs), len(m.expiry)
}
