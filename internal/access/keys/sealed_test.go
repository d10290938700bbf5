package keys_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/access/keys"
	"github.com/ssogate/ssogate/internal/secretbox"
	"github.com/ssogate/ssogate/internal/store"
	"github.com/ssogate/ssogate/internal/store/storetest"
)

func TestPrivateKeysSealed(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		acct, clk, box := newAccount(t, db), newClock(), newBox(t)
		m := keys.NewManager(db, box, clk.Now, keys.Options{})
		k1, _ := m.Current(ctx, acct)
		k2, err := m.Rotate(ctx, acct)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := db.QueryContext(ctx, `SELECT kid, private_key, public_jwk, cert_pem FROM access_keys WHERE account_id = $1`, acct)
		if err != nil {
			t.Fatal(err)
		}
		stored := map[string][4]string{}
		var everything strings.Builder
		for rows.Next() {
			var r [4]string
			if err := rows.Scan(&r[0], &r[1], &r[2], &r[3]); err != nil {
				t.Fatal(err)
			}
			stored[r[0]] = r
			everything.WriteString(strings.Join(r[:], "\n"))
		}
		rows.Close()
		for _, kid := range []string{k1.KID, k2.KID} {
			sealed := stored[kid][1]
			if !secretbox.IsSealed(sealed) {
				t.Fatalf("private_key of %s is not sealed: %.20q", kid, sealed)
			}
			privPEM, err := box.Open(sealed, "access_key:"+kid)
			if err != nil || !strings.HasPrefix(string(privPEM), "-----BEGIN PRIVATE KEY-----") {
				t.Fatalf("sealed value does not open to a PKCS#8 PEM: %v", err)
			}
			body := strings.Split(string(privPEM), "\n")[1] // first line of base64
			if strings.Contains(everything.String(), body) || strings.Contains(everything.String(), "PRIVATE KEY") {
				t.Fatalf("private key material appears in the table")
			}
		}

		t.Run("wrong secretbox key fails loudly", func(t *testing.T) {
			tok := mustSign(t, m, acct, claimsFor(clk.Now(), time.Hour))
			wrong := keys.NewManager(db, newBox(t), clk.Now, keys.Options{})
			_, err := wrong.Current(ctx, acct)
			if !errors.Is(err, secretbox.ErrOpen) || !strings.Contains(err.Error(), "cannot be decrypted") ||
				!strings.Contains(err.Error(), k2.KID) {
				t.Fatalf("Current with the wrong box key: %v", err)
			}
			if _, err := wrong.Sign(ctx, acct, claimsFor(clk.Now(), time.Hour)); !errors.Is(err, secretbox.ErrOpen) {
				t.Fatalf("Sign with the wrong box key: %v", err)
			}
			// Verification needs only public keys, so it still works.
			if err := wrong.Verify(ctx, acct, tok, &keys.Claims{}); err != nil {
				t.Fatalf("Verify with the wrong box key: %v", err)
			}
		})
		t.Run("sealed key copied to another row fails", func(t *testing.T) {
			if _, err := db.ExecContext(ctx, `UPDATE access_keys SET private_key = $1 WHERE kid = $2`,
				stored[k1.KID][1], k2.KID); err != nil {
				t.Fatal(err)
			}
			fresh := keys.NewManager(db, box, clk.Now, keys.Options{})
			if _, err := fresh.Current(ctx, acct); !errors.Is(err, secretbox.ErrOpen) {
				t.Fatalf("Current after swapping sealed keys between rows: %v", err)
			}
		})
		t.Run("public key swapped in a row is refused", func(t *testing.T) {
			if _, err := db.ExecContext(ctx, `UPDATE access_keys SET public_jwk = $1 WHERE kid = $2`,
				stored[k1.KID][2], k2.KID); err != nil {
				t.Fatal(err)
			}
			fresh := keys.NewManager(db, box, clk.Now, keys.Options{})
			if _, err := fresh.Published(ctx, acct); err == nil || !strings.Contains(err.Error(), "does not match its kid") {
				t.Fatalf("Published with a swapped public key: %v", err)
			}
		})
	})
}

func TestWrongBoxDoesNotRotate(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		acct, clk := newAccount(t, db), newClock()
		good := keys.NewManager(db, newBox(t), clk.Now, keys.Options{})
		first, err := good.Current(ctx, acct)
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(43 * 24 * time.Hour)
		wrong := keys.NewManager(db, newBox(t), clk.Now, keys.Options{})
		for name, call := range map[string]func() error{
			"Current": func() error { _, err := wrong.Current(ctx, acct); return err },
			"Certs":   func() error { _, err := wrong.Certs(ctx, acct); return err },
		} {
			if err := call(); !errors.Is(err, secretbox.ErrOpen) || !strings.Contains(err.Error(), "rotation refused") {
				t.Errorf("%s on a misconfigured instance when rotation is due: %v", name, err)
			}
		}
		if n := countKeys(t, db, acct); n != 1 {
			t.Fatalf("a misconfigured instance rotated: %d keys", n)
		}
		if k, err := good.Current(ctx, acct); err != nil || k.KID == first.KID {
			t.Fatalf("the correctly configured instance did not rotate: %v", err)
		}
	})
}
