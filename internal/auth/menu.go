package auth

// MenuType says who may open a menu.
type MenuType int

// Values as in the original API.
const (
	MenuInternal MenuType = 1 // any logged-in user
	MenuTenant   MenuType = 2 // granted by the user's roles in the selected tenant
	MenuSystem   MenuType = 3 // granted by the user's system roles
	MenuPublic   MenuType = 4 // shown before login
)

// MenuTypeNames are the enum names the menu-types endpoints return.
var MenuTypeNames = map[MenuType]string{
	MenuInternal: "Internal", MenuTenant: "Tenant", MenuSystem: "System", MenuPublic: "Public",
}

// Menu is one screen area and the permission that guards its API.
type Menu struct {
	ID       int // the original's numeric MenuCode
	Code     string
	Type     MenuType
	NameJa   string
	NameEn   string
	DescJa   string
	DescEn   string
	URL      string
	Category string
	Group    string // side-menu group key; "" = top level
	Side     bool   // shown in the side menu
	Top      bool   // shown as a dashboard card
}

// Menu codes used in permission checks.
const (
	MenuCodeAccount        = "Account"
	MenuCodeLogin          = "Login"
	MenuCodeDashBoard      = "DashBoard"
	MenuCodeData           = "Data"
	MenuCodeDataSet        = "DataSet"
	MenuCodeNotebook       = "Notebook"
	MenuCodePreprocess     = "Preprocess"
	MenuCodeTraining       = "Training"
	MenuCodeInference      = "Inference"
	MenuCodeTenantSetting  = "TenantSetting"
	MenuCodeTenantRole     = "TenantRole"
	MenuCodeTenantUser     = "TenantUser"
	MenuCodeTenantMenu     = "TenantMenu"
	MenuCodeTenantResource = "TenantResource"
	MenuCodeTenant         = "Tenant"
	MenuCodeGit            = "Git"
	MenuCodeRegistry       = "Registry"
	MenuCodeStorage        = "Storage"
	MenuCodeRole           = "Role"
	MenuCodeQuota          = "Quota"
	MenuCodeUser           = "User"
	MenuCodeNode           = "Node"
	MenuCodeMenu           = "Menu"
	MenuCodeResource       = "Resource"
)

// MenuGroup is a side-menu heading.
type MenuGroup struct {
	Key, NameJa, NameEn, Category string
}

// MenuGroups in display order.
var MenuGroups = []MenuGroup{
	{Key: "tenant", NameJa: "テナント設定", NameEn: "Tenant settings", Category: "pl-tenant"},
	{Key: "system", NameJa: "システム管理", NameEn: "Administration", Category: "pl-system"},
}

// Menus is the catalogue, in display order. The numeric ids follow the
// original's MenuCode enum so that API clients keep working.
var Menus = []Menu{
	{ID: 2, Code: MenuCodeLogin, Type: MenuPublic, NameJa: "ログイン", NameEn: "Login", URL: "/login"},
	{ID: 3, Code: MenuCodeDashBoard, Type: MenuInternal, NameJa: "ダッシュボード", NameEn: "Dashboard", URL: "/", Side: true},
	{ID: 1, Code: MenuCodeAccount, Type: MenuInternal, NameJa: "アカウント設定", NameEn: "Account settings", URL: "/setting"},

	{ID: 4, Code: MenuCodeData, Type: MenuTenant, NameJa: "データ", NameEn: "Data", URL: "/data", Category: "pl-data", Side: true, Top: true,
		DescJa: "学習に使うファイルのアップロードとダウンロード", DescEn: "Upload and download the files you train on"},
	{ID: 5, Code: MenuCodeDataSet, Type: MenuTenant, NameJa: "データセット", NameEn: "Datasets", URL: "/dataset", Category: "pl-dataset", Side: true, Top: true,
		DescJa: "データを学習・テスト・検証用にまとめる", DescEn: "Group data for training, testing and validation"},
	{ID: 7, Code: MenuCodePreprocess, Type: MenuTenant, NameJa: "前処理", NameEn: "Preprocessing", URL: "/preprocessing", Category: "pl-preprocessing", Side: true, Top: true,
		DescJa: "データの展開や変換などの加工処理", DescEn: "Transform data into new data"},
	{ID: 6, Code: MenuCodeNotebook, Type: MenuTenant, NameJa: "ノートブック", NameEn: "Notebooks", URL: "/notebook", Category: "pl-notebook", Side: true, Top: true,
		DescJa: "JupyterLab で対話的に試す", DescEn: "Work interactively in JupyterLab"},
	{ID: 9, Code: MenuCodeTraining, Type: MenuTenant, NameJa: "学習", NameEn: "Training", URL: "/training", Category: "pl-training", Side: true, Top: true,
		DescJa: "学習ジョブの実行と履歴", DescEn: "Run training jobs and follow their history"},
	{ID: 10, Code: MenuCodeInference, Type: MenuTenant, NameJa: "推論", NameEn: "Inference", URL: "/inference", Category: "pl-inference", Side: true, Top: true,
		DescJa: "学習済みモデルで推論ジョブを実行", DescEn: "Run inference jobs on trained models"},

	{ID: 11, Code: MenuCodeTenantSetting, Type: MenuTenant, NameJa: "接続テナント設定", NameEn: "Tenant", URL: "/manage/tenant", Group: "tenant", Side: true},
	{ID: 12, Code: MenuCodeTenantRole, Type: MenuTenant, NameJa: "テナントロール", NameEn: "Tenant roles", URL: "/manage/role", Group: "tenant"},
	{ID: 13, Code: MenuCodeTenantUser, Type: MenuTenant, NameJa: "テナントユーザ", NameEn: "Tenant users", URL: "/manage/user", Group: "tenant", Side: true},
	{ID: 14, Code: MenuCodeTenantMenu, Type: MenuTenant, NameJa: "テナントメニュー", NameEn: "Tenant menus", URL: "/manage/menu", Group: "tenant"},
	{ID: 15, Code: MenuCodeTenantResource, Type: MenuTenant, NameJa: "テナントリソース", NameEn: "Tenant resources", URL: "/manage/resource", Group: "tenant", Side: true},

	{ID: 16, Code: MenuCodeTenant, Type: MenuSystem, NameJa: "テナント", NameEn: "Tenants", URL: "/tenant", Group: "system", Side: true},
	{ID: 17, Code: MenuCodeGit, Type: MenuSystem, NameJa: "Git", NameEn: "Git", URL: "/git", Group: "system", Side: true},
	{ID: 18, Code: MenuCodeRegistry, Type: MenuSystem, NameJa: "レジストリ", NameEn: "Registries", URL: "/registry", Group: "system", Side: true},
	{ID: 19, Code: MenuCodeStorage, Type: MenuSystem, NameJa: "ストレージ", NameEn: "Storage", URL: "/storage", Group: "system", Side: true},
	{ID: 20, Code: MenuCodeRole, Type: MenuSystem, NameJa: "ロール", NameEn: "Roles", URL: "/role", Group: "system", Side: true},
	{ID: 21, Code: MenuCodeQuota, Type: MenuSystem, NameJa: "クォータ", NameEn: "Quotas", URL: "/quota", Group: "system", Side: true},
	{ID: 22, Code: MenuCodeUser, Type: MenuSystem, NameJa: "ユーザ", NameEn: "Users", URL: "/user", Group: "system", Side: true},
	{ID: 23, Code: MenuCodeNode, Type: MenuSystem, NameJa: "ノード", NameEn: "Nodes", URL: "/node", Group: "system", Side: true},
	{ID: 24, Code: MenuCodeMenu, Type: MenuSystem, NameJa: "メニューアクセス", NameEn: "Menu access", URL: "/menu", Group: "system", Side: true},
	{ID: 25, Code: MenuCodeResource, Type: MenuSystem, NameJa: "クラスタリソース", NameEn: "Cluster resources", URL: "/cluster-resource", Group: "system", Side: true},
}

// MenuByCode and MenuByID look a menu up in the catalogue.
func MenuByCode(code string) (Menu, bool) {
	for _, m := range Menus {
		if m.Code == code {
			return m, true
		}
	}
	return Menu{}, false
}

func MenuByID(id int) (Menu, bool) {
	for _, m := range Menus {
		if m.ID == id {
			return m, true
		}
	}
	return Menu{}, false
}

// Name and Description return the text for lang ("en" or Japanese otherwise).
func (m Menu) Name(lang string) string {
	if lang == "en" {
		return m.NameEn
	}
	return m.NameJa
}

func (m Menu) Description(lang string) string {
	if lang == "en" {
		return m.DescEn
	}
	return m.DescJa
}
