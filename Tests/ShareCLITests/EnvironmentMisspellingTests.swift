import ShareCLI
import Testing

@Suite("misspelt SHARE_MANAGER_* variables")
struct EnvironmentMisspellingTests {
    @Test("a variable a letter or two off, in another case or without underscores is named with its near match", arguments: [
        ("SHARE_MANAGER_NFS_PROT", "SHARE_MANAGER_NFS_PORT"),
        ("SHARE_MANAGER_NFSPORT", "SHARE_MANAGER_NFS_PORT"),
        ("share_manager_grace_period", "SHARE_MANAGER_GRACE_PERIOD"),
        ("SHARE_MANAGER_MOUNTPOINTS", "SHARE_MANAGER_MOUNT_POINT"),
        ("SHARE_MANAGER_VOLUM", "SHARE_MANAGER_VOLUME"),
        ("SHARE_MANAGER_LOG_FORMATS", "SHARE_MANAGER_LOG_FORMAT"),
    ])
    func named(_ typed: String, _ meant: String) {
        let warnings = EnvironmentFallback.misspellings(in: [typed: "x", "PATH": "/usr/bin"])
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains(typed) == true && warnings.first?.contains("did you mean \(meant)?") == true, "\(warnings)")
    }

    @Test("correct names, other programs' variables and the scripts' own are not warned about")
    func quiet() {
        let environment = [
            "SHARE_MANAGER_NFS_PORT": "2049", "SHARE_MANAGER_VOLUME": "v", "SHARE_MANAGER_ENABLE_NFSV40": "",
            "SHARE_MANAGER_REQUIRE_INTEGRATION": "1", "SHARE_MANAGER_GANESHA_ROOT": "/r", "SHARE_MANAGER_TEST_PYTHON": "/p",
            "SHARE_MANAGER_BINARY": "/b", "SHARE_MANAGER_SECOND_PASS": "1", "SHARE_MANAGER_KERNEL_LEASE": "5",
            "SHARE_MANAGER_GANESHA_BINDS": "/x", "SHARE_MANAGER_CRASH_SEED": "1", "SHARE_MANAGER_DEPLOY_DIR": "/d",
            "SHARE_MANAGER_KERNEL_GRACE": "5", "SHARE_MANAGER_KERNEL_CLIENT_DIR": "/k", "PATH": "/usr/bin", "NFS_PORT": "1",
        ]
        #expect(EnvironmentFallback.misspellings(in: environment) == [])
    }
}
