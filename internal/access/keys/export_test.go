package keys

// CacheLen exposes the verified-token cache's size to tests.
func (m *Manager) CacheLen() int { return m.cache.Len() }

// SetHook installs a function run at the stages of a key change.
func (m *Manager) SetHook(f func(stage string)) { m.hook = f }
