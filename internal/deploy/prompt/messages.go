package prompt

import "fmt"

// Lang is the language of the questions and their answers' errors.
type Lang int

// The two languages of the install guide's users.
const (
	English Lang = iota
	Japanese
)

// LangFromEnv picks the language as the C library does: LC_ALL, then
// LC_MESSAGES, then LANG; Japanese for any ja locale, else English.
func LangFromEnv(env func(string) string) Lang {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := env(k)
		if v == "" {
			continue
		}
		if len(v) >= 2 && v[:2] == "ja" {
			return Japanese
		}
		return English
	}
	return English
}

// Msg is the key of a text in both languages.
type Msg string

// The texts the tool shows in the user's language.
const (
	AskMaster       Msg = "ask.master"
	AskKamonohashi  Msg = "ask.kamonohashi"
	AskStorage      Msg = "ask.storage"
	AskNodes        Msg = "ask.nodes"
	AskSSHUser      Msg = "ask.sshUser"
	AskAdmin        Msg = "ask.admin"
	AskSSHPassword  Msg = "ask.sshPassword"
	AskSudoPassword Msg = "ask.sudoPassword"
	AskConfirmClean Msg = "ask.confirmClean"
	ErrEmpty        Msg = "err.empty"
	ErrTooShort     Msg = "err.tooShort"
	ErrDigitsOnly   Msg = "err.digitsOnly"
	ErrBlankEntry   Msg = "err.blankEntry"
	ErrDuplicate    Msg = "err.duplicate"
	ErrBadPort      Msg = "err.badPort"
	ErrNotResolved  Msg = "err.notResolved"
	ErrLoopback     Msg = "err.loopback"
	ErrGiveUp       Msg = "err.giveUp"
	Aborted         Msg = "aborted"
)

var catalog = map[Msg][2]string{
	AskMaster:       {"Kubernetes master server name", "Kubernetes master をデプロイするサーバ名"},
	AskKamonohashi:  {"KAMONOHASHI (web system and database) server name", "KAMONOHASHI をデプロイするサーバ名"},
	AskStorage:      {"Storage server name (or nfs://server/path for an external NFS)", "Storage をデプロイするサーバ名 (外部の NFS なら nfs://サーバ/パス)"},
	AskNodes:        {"Compute node names (comma separated, e.g. gpu1,gpu2)", "計算ノード名 (,区切りで複数可 例: gpu1,gpu2)"},
	AskSSHUser:      {"SSH user name", "SSH で利用するユーザー名"},
	AskAdmin:        {"Admin Password", "Admin Password を入力"},
	AskSSHPassword:  {"SSH password", "SSH password"},
	AskSudoPassword: {"SUDO password[defaults to SSH password]", "SUDO password[defaults to SSH password]"},
	AskConfirmClean: {"Uninstall %s from the cluster? (y/n)", "クラスタから %s をアンインストールしてよいですか? (y/n)"},
	ErrEmpty:        {"an answer is required", "入力が必要です"},
	ErrTooShort:     {"the password must have at least %d characters", "パスワードは %d 文字以上にしてください"},
	ErrDigitsOnly:   {"the password must not be digits only; add letters or symbols", "数字のみのパスワードは使用できません。英字か記号を含めてください"},
	ErrBlankEntry:   {"entry %d of the list is blank", "%d 番目の名前が空です"},
	ErrDuplicate:    {"%q is listed twice", "%q が 2 回指定されています"},
	ErrBadPort:      {"%q: the port after ':' must be a number from 1 to 65535", "%q: ':' の後のポートは 1〜65535 の数字にしてください"},
	ErrNotResolved:  {"%s: not found in DNS or /etc/hosts", "%s: DNS にも /etc/hosts にも見つかりません"},
	ErrLoopback:     {"%s: resolves only to a loopback address (%s); use a name the other hosts can reach", "%s: ループバックアドレス (%s) にしか解決できません。他のホストから到達できる名前を指定してください"},
	ErrGiveUp:       {"no valid answer after %d tries", "%d 回入力しましたが有効な値ではありませんでした"},
	Aborted:         {"aborted: nothing was changed", "中止しました。何も変更していません"},
}

// T is the text of m in l, formatted with args.
func T(l Lang, m Msg, args ...any) string {
	t, ok := catalog[m]
	if !ok {
		return string(m)
	}
	return fmt.Sprintf(t[l], args...)
}

// Error is a refusal in the user's language.
type Error struct{ Text string }

func (e *Error) Error() string { return e.Text }

// Errorf makes an Error with the text of m.
func Errorf(l Lang, m Msg, args ...any) error { return &Error{Text: T(l, m, args...)} }
