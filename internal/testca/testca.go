// Package testca makes a private certificate authority for tests that run
// Kafka brokers with TLS on loopback (kfake): the CA's certificate as a PEM
// file, which evalpipe's kafka.ca_file reads, and a server TLS config whose
// certificate it signed; and Cluster, three such brokers with SASL/SCRAM.
package testca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// New writes a self-signed CA to dir/ca.pem and returns its path and a
// server TLS config whose certificate it signed, valid for 127.0.0.1 and
// localhost for a day.
func New(t testing.TB, dir string) (string, *tls.Config) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "evalpipe test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "kfake"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames: []string{"localhost"}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644); err != nil {
		t.Fatal(err)
	}
	return caFile, &tls.Config{MinVersion: tls.VersionTLS12,
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

// The SCRAM-SHA-256 user Cluster's brokers know.
const (
	User     = "evalpipe"
	Password = "s3cret"
)

// Cluster starts three kfake brokers on loopback that speak TLS (a CA
// written to dir by New) and SASL/SCRAM-SHA-256 for User and Password,
// closed when the test ends. It returns their addresses and the CA file.
func Cluster(t testing.TB, dir string, opts ...kfake.Opt) (addrs []string, caFile string) {
	t.Helper()
	caFile, serverTLS := New(t, dir)
	cluster, err := kfake.NewCluster(append([]kfake.Opt{
		kfake.NumBrokers(3),
		kfake.TLS(serverTLS),
		kfake.EnableSASL(),
		kfake.Superuser("SCRAM-SHA-256", User, Password),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	if addrs = cluster.ListenAddrs(); len(addrs) != 3 {
		t.Fatalf("cluster listens on %v, want three brokers", addrs)
	}
	return addrs, caFile
}
