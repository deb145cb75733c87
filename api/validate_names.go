package api

import (
	"fmt"
	"regexp"
	"strings"
)

// The name rules of Kubernetes. Each check returns the reasons a value fails, empty
// when it passes, so callers can build field errors or selector errors from them.

const (
	dns1123LabelMaxLen     = 63
	dns1123SubdomainMaxLen = 253
	qualifiedNameMaxLen    = 63
	labelValueMaxLen       = 63
	ianaSvcNameMaxLen      = 15
	configMapKeyMaxLen     = 253
)

var (
	dns1123LabelRe     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	dns1123SubdomainRe = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	dns1035LabelRe     = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)
	qualifiedNameRe    = regexp.MustCompile(`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`)
	labelValueRe       = regexp.MustCompile(`^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`)
	configMapKeyRe     = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)
	envVarNameRe       = regexp.MustCompile(`^[-._a-zA-Z][-._a-zA-Z0-9]*$`)
	ianaSvcNameRe      = regexp.MustCompile(`^[-a-z0-9]+$`)
	ianaHasLetterRe    = regexp.MustCompile(`[a-z]`)
)

func tooLong(n int) string { return fmt.Sprintf("must be no more than %d characters", n) }

func isDNS1123Label(v string) []string {
	var errs []string
	if len(v) > dns1123LabelMaxLen {
		errs = append(errs, tooLong(dns1123LabelMaxLen))
	}
	if !dns1123LabelRe.MatchString(v) {
		errs = append(errs, "a lowercase RFC 1123 label must consist of lower case alphanumeric "+
			"characters or '-', and must start and end with an alphanumeric character "+
			"(e.g. 'my-name', or '123-abc')")
	}
	return errs
}

func isDNS1123Subdomain(v string) []string {
	var errs []string
	if len(v) > dns1123SubdomainMaxLen {
		errs = append(errs, tooLong(dns1123SubdomainMaxLen))
	}
	if !dns1123SubdomainRe.MatchString(v) {
		errs = append(errs, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "+
			"characters, '-' or '.', and must start and end with an alphanumeric character "+
			"(e.g. 'example.com')")
	}
	return errs
}

func isDNS1035Label(v string) []string {
	var errs []string
	if len(v) > dns1123LabelMaxLen {
		errs = append(errs, tooLong(dns1123LabelMaxLen))
	}
	if !dns1035LabelRe.MatchString(v) {
		errs = append(errs, "a DNS-1035 label must consist of lower case alphanumeric characters "+
			"or '-', start with an alphabetic character, and end with an alphanumeric character "+
			"(e.g. 'my-name', or 'abc-123')")
	}
	return errs
}

// isQualifiedName checks a label or annotation key: an optional DNS subdomain prefix
// and "/", then a name of at most 63 characters.
func isQualifiedName(v string) []string {
	name := v
	if prefix, rest, ok := strings.Cut(v, "/"); ok {
		if prefix == "" {
			return []string{"prefix part must be non-empty"}
		}
		var errs []string
		for _, e := range isDNS1123Subdomain(prefix) {
			errs = append(errs, "prefix part "+e)
		}
		if len(errs) > 0 {
			return errs
		}
		name = rest
	}
	switch {
	case name == "":
		return []string{"name part must be non-empty"}
	case len(name) > qualifiedNameMaxLen:
		return []string{"name part " + tooLong(qualifiedNameMaxLen)}
	case !qualifiedNameRe.MatchString(name):
		return []string{"name part must consist of alphanumeric characters, '-', '_' or '.', " +
			"and must start and end with an alphanumeric character " +
			"(e.g. 'MyName', or 'my.name', or '123-abc'), with an optional DNS subdomain prefix " +
			"and '/' (e.g. 'example.com/MyName')"}
	}
	return nil
}

func isLabelValue(v string) []string {
	var errs []string
	if len(v) > labelValueMaxLen {
		errs = append(errs, tooLong(labelValueMaxLen))
	}
	if !labelValueRe.MatchString(v) {
		errs = append(errs, "a valid label must be an empty string or consist of alphanumeric "+
			"characters, '-', '_' or '.', and must start and end with an alphanumeric character "+
			"(e.g. 'MyValue', or 'my_value', or '12345')")
	}
	return errs
}

func isConfigMapKey(v string) []string {
	var errs []string
	if len(v) > configMapKeyMaxLen {
		errs = append(errs, tooLong(configMapKeyMaxLen))
	}
	if !configMapKeyRe.MatchString(v) {
		errs = append(errs, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' "+
			"(e.g. 'key.name', or 'KEY_NAME', or 'key-name')")
	}
	switch {
	case v == ".":
		errs = append(errs, "must not be '.'")
	case v == "..":
		errs = append(errs, "must not be '..'")
	case strings.HasPrefix(v, ".."):
		errs = append(errs, "must not start with '..'")
	}
	return errs
}

func isEnvVarName(v string) []string {
	if !envVarNameRe.MatchString(v) {
		return []string{"a valid environment variable name must consist of alphabetic characters, " +
			"digits, '_', '-', or '.', and must not start with a digit"}
	}
	return nil
}

// isIANASvcName checks a port name: at most 15 lowercase alphanumerics or '-', with
// at least one letter, no leading, trailing or doubled '-'.
func isIANASvcName(v string) []string {
	var errs []string
	if len(v) > ianaSvcNameMaxLen {
		errs = append(errs, tooLong(ianaSvcNameMaxLen))
	}
	if !ianaSvcNameRe.MatchString(v) {
		errs = append(errs, "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
	}
	if strings.Contains(v, "--") {
		errs = append(errs, "must not contain consecutive hyphens")
	}
	if !ianaHasLetterRe.MatchString(v) {
		errs = append(errs, "must contain at least one letter (a-z)")
	}
	if strings.HasPrefix(v, "-") || strings.HasSuffix(v, "-") {
		errs = append(errs, "must not begin or end with a hyphen")
	}
	return errs
}
